"""The issues routing has routed, kept as they were reported: a reroute decides
again from them, and a resolution turns them into training labels."""
