"""Entrypoints: the command line and the polling loop. The only place that reads the environment."""
