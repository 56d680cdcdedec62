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

// publicProfile is what other users see: never the birth date, and never the
// last name of a minor.
type publicProfile struct {
	ID        int64  `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName,omitempty"`
	Age       int    `json:"age"`
}

const adultAge = 18

func toOwnProfile(u store.User, now time.Time) ownProfile {
	return ownProfile{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		BirthDate: u.BirthDate, Age: age(u.BirthDate, now), CreatedAt: u.CreatedAt.UTC()}
}

func toPublicProfile(u store.User, now time.Time) publicProfile {
	p := publicProfile{ID: u.ID, FirstName: u.FirstName, Age: age(u.BirthDate, now)}
	if p.Age >= adultAge {
		p.LastName = u.LastName
	}
	return p
}
