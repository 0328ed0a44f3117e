"""meded: the system a teaching hospital runs its education on."""
