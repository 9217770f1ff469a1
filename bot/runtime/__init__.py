"""How seatbot runs: the command line, the HTTP server and Socket Mode, the Bolt app
and what its listeners are handed, the work queue, the scheduled jobs and the demo.
Everything here wires the layers together; none of the product's rules live here."""
