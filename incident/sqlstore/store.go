// Package sqlstore implements incident.Store with GORM on SQLite (the
// embedded default) or PostgreSQL (districts with several replicas).
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/leitstelle/leitstelle/incident"
)

var _ incident.Store = (*Store)(nil)

// Store is the GORM implementation of incident.Store.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// Options configure Open.
type Options struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string
	// DSN is a file path for SQLite and a connection URL or key=value string
	// for PostgreSQL.
	DSN string
	// Now is the clock of every time the store writes: migration records,
	// and the time a change happens, which the lifecycle stores as claimed,
	// resolved or closed. time.Now when nil; tests give the bot and the
	// store the same clock.
	Now func() time.Time
}

// Open connects to the database and applies pending migrations.
func Open(opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}

	dialector, err := dialectorFor(opts)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard, NowFunc: func() time.Time { return opts.Now().UTC() }})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", opts.Driver, err)
	}

	// Apply the schema before anything reads it.
	if err := migrate(db, opts.Now); err != nil {
		closeDB(db)
		return nil, err
	}
	return &Store{db: db, now: opts.Now}, nil
}

func dialectorFor(opts Options) (gorm.Dialector, error) {
	switch opts.Driver {
	case "", "sqlite":
		if strings.TrimSpace(opts.DSN) == "" {
			return nil, errors.New("sqlite: database path is empty")
		}
		return sqlite.Open(sqliteDSN(opts.DSN)), nil
	case "postgres":
		return postgres.Open(opts.DSN), nil
	default:
		return nil, fmt.Errorf("unknown database driver %q, want sqlite or postgres", opts.Driver)
	}
}

// sqliteDSN turns a path into a DSN with WAL, a busy timeout, foreign keys
// and immediate transactions, so concurrent writers queue instead of failing
// with "database is locked".
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	// The path goes into a URI, where "?" and "#" would end it.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error {
	return closeDB(s.db)
}

func closeDB(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Create implements incident.Store.
func (s *Store) Create(ctx context.Context, inc *incident.Incident, first incident.Event) (*incident.Incident, bool, error) {
	var stored *incident.Incident
	created := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A repeated submission returns the incident of the first one.
		if inc.SubmissionKey != "" {
			var existing incidentRow
			err := tx.Where("submission_key = ?", inc.SubmissionKey).Take(&existing).Error
			if err == nil {
				stored = fromRow(&existing)
				return nil
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}

		number, err := nextNumber(tx, inc.School)
		if err != nil {
			return err
		}

		row := toRow(inc)
		row.ID = 0
		row.Number = number
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		if err := tx.Create(toEventRow(row.ID, first)).Error; err != nil {
			return err
		}
		stored, created = fromRow(row), true
		return nil
	})
	if err != nil && inc.SubmissionKey != "" {
		// A concurrent transaction may have stored the same submission after
		// this one looked, because PostgreSQL reads committed rows only. The
		// unique key then rejected this insert, so return the stored row.
		var existing incidentRow
		if getErr := s.db.WithContext(ctx).Where("submission_key = ?", inc.SubmissionKey).Take(&existing).Error; getErr == nil {
			return fromRow(&existing), false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("create incident for %q: %w", inc.School, err)
	}
	return stored, created, nil
}

// nextNumber increments the school's counter. The UPDATE locks the counter
// row (PostgreSQL) or the database (SQLite) until the transaction ends, so
// concurrent reports get distinct numbers.
func nextNumber(tx *gorm.DB, school string) (int64, error) {
	err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&counterRow{School: school, Last: 0}).Error
	if err != nil {
		return 0, fmt.Errorf("insert counter: %w", err)
	}
	err = tx.Model(&counterRow{}).Where("school = ?", school).Update("last", gorm.Expr("last + 1")).Error
	if err != nil {
		return 0, fmt.Errorf("increment counter: %w", err)
	}

	var c counterRow
	if err := tx.Where("school = ?", school).Take(&c).Error; err != nil {
		return 0, fmt.Errorf("read counter: %w", err)
	}
	return c.Last, nil
}

// Get implements incident.Store.
func (s *Store) Get(ctx context.Context, school string, number int64) (*incident.Incident, error) {
	var row incidentRow
	err := s.db.WithContext(ctx).Where("school = ? AND number = ?", school, number).Take(&row).Error
	if err != nil {
		return nil, translate(err, "get incident #%d", number)
	}
	return fromRow(&row), nil
}

// GetByTriagePost implements incident.Store.
func (s *Store) GetByTriagePost(ctx context.Context, postID string) (*incident.Incident, error) {
	if postID == "" {
		return nil, incident.Errorf(incident.ENOTFOUND, "not_found", "empty post id")
	}
	var row incidentRow
	err := s.db.WithContext(ctx).Where("triage_post_id = ?", postID).Take(&row).Error
	if err != nil {
		return nil, translate(err, "get incident by post %s", postID)
	}
	return fromRow(&row), nil
}

// Update implements incident.Store.
func (s *Store) Update(ctx context.Context, school string, number int64, change incident.Change) (*incident.Incident, []incident.Event, error) {
	var (
		result *incident.Incident
		events []incident.Event
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Lock the row so that concurrent changes apply one after the other.
		var row incidentRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("school = ? AND number = ?", school, number).Take(&row).Error
		if err != nil {
			return err
		}

		inc := fromRow(&row)
		events, err = change(inc, s.now().UTC())
		if err != nil || len(events) == 0 {
			result = fromRow(&row)
			return err
		}

		// Store the new state and append the events.
		if err := tx.Save(toRow(inc)).Error; err != nil {
			return err
		}
		for i := range events {
			er := toEventRow(inc.ID, events[i])
			if err := tx.Create(er).Error; err != nil {
				return err
			}
			events[i] = fromEventRow(er)
		}
		result = inc
		return nil
	})
	if err != nil {
		return nil, nil, translate(err, "update incident #%d", number)
	}
	return result, events, nil
}

// SetTriagePost implements incident.Store.
func (s *Store) SetTriagePost(ctx context.Context, school string, number int64, postID string) error {
	return s.setColumn(ctx, school, number, "triage_post_id", postID)
}

// ReserveTriagePost implements incident.Store with a conditional update,
// which one process at a time wins.
func (s *Store) ReserveTriagePost(ctx context.Context, school string, number int64, staleBefore time.Time) (string, bool, error) {
	token := incident.PendingPost + fmt.Sprintf("%020d", s.now().UTC().UnixNano())
	stale := incident.PendingPost + fmt.Sprintf("%020d", staleBefore.UTC().UnixNano())
	res := s.db.WithContext(ctx).Model(&incidentRow{}).
		Where("school = ? AND number = ?", school, number).
		Where("triage_post_id = '' OR (triage_post_id LIKE ? AND triage_post_id < ?)", incident.PendingPost+"%", stale).
		Update("triage_post_id", token)
	if res.Error != nil {
		return "", false, fmt.Errorf("reserve triage post of #%d: %w", number, res.Error)
	}
	return token, res.RowsAffected == 1, nil
}

// FillTriagePost implements incident.Store.
func (s *Store) FillTriagePost(ctx context.Context, school string, number int64, token, postID string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&incidentRow{}).
		Where("school = ? AND number = ? AND triage_post_id = ?", school, number, token).
		Update("triage_post_id", postID)
	if res.Error != nil {
		return false, fmt.Errorf("record triage post of #%d: %w", number, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// SetCoordinationPost implements incident.Store.
func (s *Store) SetCoordinationPost(ctx context.Context, school string, number int64, postID string) error {
	return s.setColumn(ctx, school, number, "coordination_post_id", postID)
}

// setColumn sets one column of an incident that carries no event.
func (s *Store) setColumn(ctx context.Context, school string, number int64, column, value string) error {
	res := s.db.WithContext(ctx).Model(&incidentRow{}).
		Where("school = ? AND number = ?", school, number).Update(column, value)
	if res.Error != nil {
		return fmt.Errorf("set %s of #%d: %w", column, number, res.Error)
	}
	if res.RowsAffected == 0 {
		return incident.Errorf(incident.ENOTFOUND, "not_found", "incident #%d not found", number)
	}
	return nil
}

// List implements incident.Store.
func (s *Store) List(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	q := s.db.WithContext(ctx).Model(&incidentRow{})
	if f.School != "" {
		q = q.Where("school = ?", f.School)
	}
	if f.ReporterID != "" {
		q = q.Where("reporter_id = ?", f.ReporterID)
	}
	if f.OpenOnly {
		q = q.Where("status IN ?", openStatuses())
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}

	var rows []incidentRow
	if err := q.Order("reported_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out := make([]*incident.Incident, len(rows))
	for i := range rows {
		out[i] = fromRow(&rows[i])
	}
	return out, nil
}

func openStatuses() []string {
	return []string{
		string(incident.StatusReported), string(incident.StatusClaimed),
		string(incident.StatusEscalated), string(incident.StatusResolved),
	}
}

// Timeline implements incident.Store.
func (s *Store) Timeline(ctx context.Context, school string, number int64) ([]incident.Event, error) {
	inc, err := s.Get(ctx, school, number)
	if err != nil {
		return nil, err
	}
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("incident_id = ?", inc.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("timeline of #%d: %w", number, err)
	}
	out := make([]incident.Event, len(rows))
	for i := range rows {
		out[i] = fromEventRow(&rows[i])
	}
	return out, nil
}

// FirstDelivery implements incident.Store.
func (s *Store) FirstDelivery(ctx context.Context, key string) (bool, error) {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&deliveryRow{Key: key, ReceivedAt: s.now().UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("record delivery %q: %w", key, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// translate turns "record not found" into ENOTFOUND and keeps domain errors.
func translate(err error, format string, args ...any) error {
	var de *incident.Error
	switch {
	case errors.As(err, &de):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return incident.Errorf(incident.ENOTFOUND, "not_found", format+": not found", args...)
	default:
		return fmt.Errorf(format+": %w", append(args, err)...)
	}
}
