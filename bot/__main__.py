"""`python -m bot` is `seatbot`."""

from bot.cli import main

main()
