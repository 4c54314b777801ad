package infer

// ObserveRuns makes every network call of Sample, Inpaint and Compose report its task, graph
// role and batch size to f until the returned function is called. Not safe for concurrent use.
func ObserveRuns(f func(op, graph string, batch int)) (restore func()) {
	observeRun = f
	return func() { observeRun = nil }
}
