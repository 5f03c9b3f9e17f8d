"""The classifier: a text model that proposes a department when no rule matches,
trained on a shipped sample and on the company's own resolved issues."""
