"""The admin's desk: the client list and its filters, segments, exports, imports, merging and the duplicate
finder. `desk.views` serves them; the till's search (`customers.search`) is shared with the list."""
