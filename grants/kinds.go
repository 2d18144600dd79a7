package grants

// The kinds of grant, as stored: the ent schema declares its enum with them.
const (
	KindStanding  = "STANDING"
	KindElevation = "ELEVATION"
)

// An elevation lasts from 15 minutes to 8 hours once approved.
const (
	MinElevationMinutes = 15
	MaxElevationMinutes = 480
)
