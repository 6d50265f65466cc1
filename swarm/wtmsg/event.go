package wtmsg

import "strconv"

// Event is an announce event.
type Event uint8

const (
	// EventUpdate is a regular announce. It is sent without an event, and
	// a tracker reads any event it does not know as one (anacrolix/torrent
	// v1.61.0 sends "<regular>").
	EventUpdate Event = iota
	EventStarted
	EventCompleted
	EventStopped
)

// eventNames are the events' names on the wire, for both directions.
var eventNames = [...]string{
	EventUpdate:    "update",
	EventStarted:   "started",
	EventCompleted: "completed",
	EventStopped:   "stopped",
}

func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return "Event(" + strconv.Itoa(int(e)) + ")"
}

// eventNamed reads an event's wire name; unknown names are updates.
func eventNamed(name string) Event {
	for e, n := range eventNames {
		if n == name {
			return Event(e)
		}
	}
	return EventUpdate
}
