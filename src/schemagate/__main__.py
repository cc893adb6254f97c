from schemagate.cli import main

main()
