package issuer

// List is one page of a listing.
type List[T any] struct {
	// Items holds the page's objects; the caller owns the slice.
	Items []T
	// Next is the cursor of the following page, or "" on the last page.
	Next string
}

// paginate cuts rows, fetched with a limit one above the page size, to the
// page size and sets the cursor when a further row proved there is more.
func paginate[T any](rows []T, limit int, id func(T) string) List[T] {
	if len(rows) <= limit {
		return List[T]{Items: rows}
	}
	rows = rows[:limit]
	return List[T]{Items: rows, Next: id(rows[limit-1])}
}
