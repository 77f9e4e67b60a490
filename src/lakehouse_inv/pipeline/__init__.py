"""Job plumbing: the run context every step receives, the step registry and the local DAG runner."""
