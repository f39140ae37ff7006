"""The shared kernel: configuration, databases, money, ids, errors, events, security."""
