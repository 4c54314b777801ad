package train

import "fmt"

// SettingError is the error of a run refused or stopped because of one of its settings: a
// Config field, or an Options field for the run folder and how it is treated.
//
// Field references. Errors of this package name settings by their Go names, written
// "Config.Batch" or "Options.Resume", never in another vocabulary (a command's flags, a
// service's JSON fields). This holds in Field and also inside the text of any error and
// progress line, where a message advises what to change ("use a smaller Config.Batch",
// "continue with Options.Resume"). A front end that exposes the settings under other names
// rewrites the references it knows, each a qualified field name delimited by word
// boundaries, and leaves the rest of the text alone; cdrl-train turns them into its flags.
type SettingError struct {
	// Field is the setting, qualified by its struct: "Config.Batch", "Options.Out".
	Field string
	// Value is the setting's value as given, or nil when the message needs none.
	Value any
	// Problem says what is wrong with the value, and may advise, naming other settings.
	Problem string
	// Err is the underlying error, if any (an I/O failure, ErrLocked, ...).
	Err error
}

// Error reads "train: Field Value: Problem: Err", leaving out the parts that are empty.
func (e *SettingError) Error() string {
	s := "train: " + e.Field
	switch v := e.Value.(type) {
	case nil:
	case string:
		if v == "" {
			v = `""`
		}
		s += " " + v
	default:
		s += fmt.Sprintf(" %v", v)
	}
	if e.Problem != "" {
		s += ": " + e.Problem
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *SettingError) Unwrap() error { return e.Err }

// configError is the SettingError of the Config field name.
func configError(name string, value any, problem string) *SettingError {
	return &SettingError{Field: "Config." + name, Value: value, Problem: problem}
}
