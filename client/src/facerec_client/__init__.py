"""Client side of facerec: the `facerec` command line tool."""
