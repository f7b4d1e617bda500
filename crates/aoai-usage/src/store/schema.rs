//! The store's tables.

use rusqlite::Connection;

/// Sets the connection's durability and waiting rules.
pub fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // FULL syncs the WAL on every commit, so a commit that returned is on disk.
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Creates the tables and indexes that do not exist yet.
pub fn create(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL
         );
         CREATE TABLE IF NOT EXISTS usage (
             id INTEGER PRIMARY KEY,
             source TEXT NOT NULL,
             time_ms INTEGER NOT NULL,
             user_id TEXT,
             parent_span TEXT,
             deployment TEXT,
             response_model TEXT,
             service_tier TEXT,
             provider TEXT,
             subscription TEXT,
             metric TEXT,
             requests INTEGER NOT NULL CHECK (requests >= 0),
             usage_missing INTEGER NOT NULL,
             input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
             cached_input_tokens INTEGER NOT NULL CHECK (cached_input_tokens >= 0),
             output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
             reasoning_tokens INTEGER NOT NULL CHECK (reasoning_tokens >= 0),
             estimated INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS usage_by_source_time ON usage (source, time_ms);
         CREATE INDEX IF NOT EXISTS usage_needing_ancestor ON usage (source, time_ms)
             WHERE user_id IS NULL AND parent_span IS NOT NULL;
         CREATE TABLE IF NOT EXISTS rejected (
             id INTEGER PRIMARY KEY,
             source TEXT NOT NULL,
             time_ms INTEGER NOT NULL,
             reason TEXT NOT NULL,
             detail TEXT NOT NULL,
             user_id TEXT,
             deployment TEXT,
             response_model TEXT
         );
         CREATE INDEX IF NOT EXISTS rejected_by_source_time ON rejected (source, time_ms);
         CREATE TABLE IF NOT EXISTS spans (
             span_id TEXT PRIMARY KEY,
             parent_span TEXT,
             user_id TEXT
         );",
    )?;
    upgrade(connection)
}

/// Adds the columns that stores made by earlier versions lack, so an old store opens.
fn upgrade(connection: &Connection) -> rusqlite::Result<()> {
    let mut columns = Vec::new();
    {
        let mut statement = connection.prepare("SELECT name FROM pragma_table_info('rejected')")?;
        let names = statement.query_map([], |row| row.get::<_, String>(0))?;
        for name in names {
            columns.push(name?);
        }
    }
    for column in ["user_id", "deployment", "response_model"] {
        if !columns.iter().any(|name| name == column) {
            connection.execute_batch(&format!("ALTER TABLE rejected ADD COLUMN {column} TEXT"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_rejected_table_upgraded() {
        let connection = Connection::open_in_memory().expect("database");
        connection
            .execute_batch(
                "CREATE TABLE rejected (id INTEGER PRIMARY KEY, source TEXT NOT NULL, time_ms INTEGER NOT NULL,
                     reason TEXT NOT NULL, detail TEXT NOT NULL);",
            )
            .expect("old table");
        create(&connection).expect("upgrade");
        create(&connection).expect("a second run changes nothing");
        connection
            .execute(
                "INSERT INTO rejected (source, time_ms, reason, detail, user_id, deployment, response_model)
                 VALUES ('otel', 0, 'r', 'd', 'u', 'x', 'm')",
                [],
            )
            .expect("the new columns exist");
    }
}
