"""Pure domain logic: money, pricing. Standard library only, no I/O, no clock."""
