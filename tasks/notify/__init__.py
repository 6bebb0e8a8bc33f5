"""Everything that reaches a person: the one mailer, the Chinese wording of values, and charts."""
