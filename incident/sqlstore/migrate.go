package sqlstore

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned schema step. Steps run in order, each in its own
// transaction together with the row that records it, so a step runs once.
type migration struct {
	version int
	name    string
	apply   func(tx *gorm.DB) error
}

// migrations lists every schema step ever shipped. Append only: a step that
// has run somewhere must never change. A later step that alters a table
// uses the Migrator's Has* checks, because version 1 creates the tables from
// the current row types.
var migrations = []migration{
	{1, "create incidents, events, counters, deliveries", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&incidentRow{}, &eventRow{}, &counterRow{}, &deliveryRow{})
	}},
	{2, "add coordination link and summary post", func(tx *gorm.DB) error {
		for _, field := range []string{"CoordinationLink", "CoordinationPostID"} {
			if tx.Migrator().HasColumn(&incidentRow{}, field) {
				continue
			}
			if err := tx.Migrator().AddColumn(&incidentRow{}, field); err != nil {
				return err
			}
		}
		return nil
	}},
}

// schemaMigration is the table "schema_migrations".
type schemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:200;not null"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations of processes starting at the same time.
const migrationLock = 0x4c656974 // "Leit"

// migrate applies the steps that have not run yet. Running it twice, or in
// two processes at once, is safe because everything runs in one
// transaction. On SQLite it takes the write lock at its start (the DSN sets
// immediate transactions), on PostgreSQL an advisory lock.
func migrate(db *gorm.DB, now func() time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error; err != nil {
				return fmt.Errorf("lock for migrations: %w", err)
			}
		}
		if err := tx.Migrator().AutoMigrate(&schemaMigration{}); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, m := range migrations {
			if err := applyOnce(tx, m, now); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		return nil
	})
}

// applyOnce runs m inside the migration transaction unless it ran before.
func applyOnce(tx *gorm.DB, m migration, now func() time.Time) error {
	var count int64
	if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return nil
	}

	if err := m.apply(tx); err != nil {
		return err
	}
	return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: now().UTC()}).Error
}
