//! The configuration record: how a [`Config`] crosses the boundary from the JVM.
//!
//! `[version, id, value, id, value, ...]` as 64-bit integers: `version` is
//! [`CONFIG_RECORD_VERSION`], each `id` a position in [`CONFIG_FIELDS`] (fields are only ever
//! appended), fields not named keep their defaults. The JVM builds the record once per server
//! from reference.conf by the fields' names (its `Abi.CONFIG_NAMES`, generated from the table).

use crate::conn::{Config, CONFIG_FIELDS};

/// Bumped when the record's layout changes (not when a field is added).
pub const CONFIG_RECORD_VERSION: i64 = 1;

/// Builds a configuration from a record; the message names what is wrong.
pub fn config_from_record(record: &[i64]) -> Result<Config, String> {
    let mut c = Config::default();
    let Some((&version, pairs)) = record.split_first() else { return Ok(c) };
    if version != CONFIG_RECORD_VERSION {
        return Err(format!("config record version {version}, this library reads {CONFIG_RECORD_VERSION}"));
    }
    if pairs.len() % 2 != 0 {
        return Err(format!(
            "config record of {} entries after the version: not (id, value) pairs",
            pairs.len()
        ));
    }
    for pair in pairs.chunks_exact(2) {
        let (id, value) = (pair[0], pair[1]);
        let field = usize::try_from(id)
            .ok()
            .and_then(|i| CONFIG_FIELDS.get(i))
            .ok_or_else(|| format!("config field id {id}: this library knows {}", CONFIG_FIELDS.len()))?;
        let value =
            u64::try_from(value).map_err(|_| format!("config field '{}' = {value}: negative", field.name))?;
        field.set(&mut c, value).map_err(|e| e.to_string())?;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> i64 {
        CONFIG_FIELDS.iter().position(|f| f.name == name).unwrap() as i64
    }

    #[test]
    fn fields_named_by_id_the_rest_default() {
        assert_eq!(config_from_record(&[]).unwrap(), Config::default());
        assert_eq!(config_from_record(&[CONFIG_RECORD_VERSION]).unwrap(), Config::default());
        let r = [CONFIG_RECORD_VERSION, id("max-concurrent-streams"), 7, id("settings-timeout"), 1500];
        let c = config_from_record(&r).unwrap();
        assert_eq!((c.max_concurrent_streams, c.settings_timeout_ms), (7, 1500));
        assert_eq!(
            Config { max_concurrent_streams: 100, settings_timeout_ms: 10_000, ..c },
            Config::default()
        );
    }

    #[test]
    fn bad_records_are_refused_with_a_reason() {
        let v = CONFIG_RECORD_VERSION;
        for (r, says) in [
            (vec![v + 1], "version"),
            (vec![v, 0], "pairs"),
            (vec![v, CONFIG_FIELDS.len() as i64, 1], "field id"),
            (vec![v, -1, 1], "field id"),
            (vec![v, 0, -5], "negative"),
            (vec![v, 0, 1 << 33], "out of range"),
        ] {
            let e = config_from_record(&r).unwrap_err();
            assert!(e.contains(says), "{r:?}: {e}");
        }
    }
}
