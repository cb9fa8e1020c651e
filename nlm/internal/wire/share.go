package wire

// Valid reports whether m is one of the fsh4_mode values.
func (m FSH4Mode) Valid() bool {
	switch m {
	case fsm_DN, fsm_DR, fsm_DW, fsm_DRW:
		return true
	}
	return false
}

// Valid reports whether a is one of the fsh4_access values.
func (a FSH4Access) Valid() bool {
	switch a {
	case fsa_NONE, fsa_R, fsa_W, fsa_RW:
		return true
	}
	return false
}
