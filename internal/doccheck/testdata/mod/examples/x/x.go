package x

type Undocumented struct{ F int }
