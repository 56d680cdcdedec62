package server

import (
	"time"

	"github.com/empctl/empctl/server/store"
)

// ownProfile is what a user sees of themselves.
type ownProfile struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	BirthDate string    `json:"birthDate"`
	Age       int       `json:"age"`
	CreatedAt time.Time `json:"createdAt"`
}

// publicProfile is what other users see: the same fields for everyone and
// nothing that changes with the date, so reading a profile every day
// reveals nothing of the birth date (server/README.md).
type publicProfile struct {
	ID          int64  `json:"id"`
	FirstName   string `json:"firstName"`
	LastInitial string `json:"lastInitial"`
}

func toOwnProfile(u store.User, now time.Time) ownProfile {
	return ownProfile{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		BirthDate: u.BirthDate, Age: age(u.BirthDate, now), CreatedAt: u.CreatedAt.UTC()}
}

func toPublicProfile(u store.User) publicProfile {
	return publicProfile{ID: u.ID, FirstName: u.FirstName, LastInitial: initial(u.LastName)}
}
