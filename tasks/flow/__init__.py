"""One run carried through the steps, in the order data moves: what the CLI and the DAG tasks both call."""
