"""The learned router: proposes a department when no rule matches."""
