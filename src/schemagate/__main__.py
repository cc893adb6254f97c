from schemagate.cli import run

run()
