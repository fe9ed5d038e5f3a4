package expression

// Names of the CreateSchedule fields an Error can be about, as Error.Field
// holds them.
const (
	// FieldExpression is the ScheduleExpression request field.
	FieldExpression = "ScheduleExpression"
	// FieldTimezone is the ScheduleExpressionTimezone request field.
	FieldTimezone = "ScheduleExpressionTimezone"
)

// Error is why Parse refused its input. A server turns it into a
// ValidationException that names Field; Message says what is wrong and,
// where it helps, what would be right.
type Error struct {
	// Field is FieldExpression or FieldTimezone.
	Field string
	// Message is a sentence for the caller, such as "invalid cron
	// expression: day-of-month and day-of-week cannot both be specified;
	// use ? in one of them".
	Message string
}

// Error returns the field and the message, "Field: Message".
func (e *Error) Error() string { return e.Field + ": " + e.Message }

func exprError(msg string) *Error { return &Error{Field: FieldExpression, Message: msg} }

func zoneError(msg string) *Error { return &Error{Field: FieldTimezone, Message: msg} }
