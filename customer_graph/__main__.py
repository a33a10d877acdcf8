"""`python -m customer_graph`: the same as the `customer-graph` command."""

from customer_graph.cli import main

main()
