"""Background work: the worker loop and its due-work handlers."""
