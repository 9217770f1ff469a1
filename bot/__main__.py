"""`python -m bot` is `seatbot`."""

from bot.runtime.cli import main

main()
