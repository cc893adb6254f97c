"""Django migrations through Django's own migration executor, on the scratch database."""
