"""``python -m factcomment``: the same as the ``factcomment`` command."""
from factcomment.cli import main

main()
