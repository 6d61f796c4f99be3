"""``make bench``: measured performance of the IOC (see ``python -m bench --help``)."""
