"""The node's side of federation: applying shared records to replica tables, and querying them."""
