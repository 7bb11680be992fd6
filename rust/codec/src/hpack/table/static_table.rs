//! The static table (RFC 7541 Appendix A) and its lookups.
//!
//! Name lookup dispatches on the length first and then compares against the few names of that
//! length, which the compiler turns into fixed-width loads and compares: no hashing, no
//! allocation. Only five names carry values in the table, so the value check is a short `match`.

/// Number of static entries; dynamic indices start at `LEN + 1`.
pub(crate) const LEN: usize = 61;

/// Entries 1..=61 at positions 0..=60.
pub(crate) static ENTRIES: [(&[u8], &[u8]); LEN] = [
    (b":authority", b""),                   // 1
    (b":method", b"GET"),                   // 2
    (b":method", b"POST"),                  // 3
    (b":path", b"/"),                       // 4
    (b":path", b"/index.html"),             // 5
    (b":scheme", b"http"),                  // 6
    (b":scheme", b"https"),                 // 7
    (b":status", b"200"),                   // 8
    (b":status", b"204"),                   // 9
    (b":status", b"206"),                   // 10
    (b":status", b"304"),                   // 11
    (b":status", b"400"),                   // 12
    (b":status", b"404"),                   // 13
    (b":status", b"500"),                   // 14
    (b"accept-charset", b""),               // 15
    (b"accept-encoding", b"gzip, deflate"), // 16
    (b"accept-language", b""),              // 17
    (b"accept-ranges", b""),                // 18
    (b"accept", b""),                       // 19
    (b"access-control-allow-origin", b""),  // 20
    (b"age", b""),                          // 21
    (b"allow", b""),                        // 22
    (b"authorization", b""),                // 23
    (b"cache-control", b""),                // 24
    (b"content-disposition", b""),          // 25
    (b"content-encoding", b""),             // 26
    (b"content-language", b""),             // 27
    (b"content-length", b""),               // 28
    (b"content-location", b""),             // 29
    (b"content-range", b""),                // 30
    (b"content-type", b""),                 // 31
    (b"cookie", b""),                       // 32
    (b"date", b""),                         // 33
    (b"etag", b""),                         // 34
    (b"expect", b""),                       // 35
    (b"expires", b""),                      // 36
    (b"from", b""),                         // 37
    (b"host", b""),                         // 38
    (b"if-match", b""),                     // 39
    (b"if-modified-since", b""),            // 40
    (b"if-none-match", b""),                // 41
    (b"if-range", b""),                     // 42
    (b"if-unmodified-since", b""),          // 43
    (b"last-modified", b""),                // 44
    (b"link", b""),                         // 45
    (b"location", b""),                     // 46
    (b"max-forwards", b""),                 // 47
    (b"proxy-authenticate", b""),           // 48
    (b"proxy-authorization", b""),          // 49
    (b"range", b""),                        // 50
    (b"referer", b""),                      // 51
    (b"refresh", b""),                      // 52
    (b"retry-after", b""),                  // 53
    (b"server", b""),                       // 54
    (b"set-cookie", b""),                   // 55
    (b"strict-transport-security", b""),    // 56
    (b"transfer-encoding", b""),            // 57
    (b"user-agent", b""),                   // 58
    (b"vary", b""),                         // 59
    (b"via", b""),                          // 60
    (b"www-authenticate", b""),             // 61
];

/// The same entries as `name ++ value` with the name length: a field is copied out with one
/// copy (the decoder's hot path for indexed static fields).
pub(crate) static FIELDS: [(&[u8], usize); LEN] = [
    (b":authority", 10),                   // 1
    (b":methodGET", 7),                    // 2
    (b":methodPOST", 7),                   // 3
    (b":path/", 5),                        // 4
    (b":path/index.html", 5),              // 5
    (b":schemehttp", 7),                   // 6
    (b":schemehttps", 7),                  // 7
    (b":status200", 7),                    // 8
    (b":status204", 7),                    // 9
    (b":status206", 7),                    // 10
    (b":status304", 7),                    // 11
    (b":status400", 7),                    // 12
    (b":status404", 7),                    // 13
    (b":status500", 7),                    // 14
    (b"accept-charset", 14),               // 15
    (b"accept-encodinggzip, deflate", 15), // 16
    (b"accept-language", 15),              // 17
    (b"accept-ranges", 13),                // 18
    (b"accept", 6),                        // 19
    (b"access-control-allow-origin", 27),  // 20
    (b"age", 3),                           // 21
    (b"allow", 5),                         // 22
    (b"authorization", 13),                // 23
    (b"cache-control", 13),                // 24
    (b"content-disposition", 19),          // 25
    (b"content-encoding", 16),             // 26
    (b"content-language", 16),             // 27
    (b"content-length", 14),               // 28
    (b"content-location", 16),             // 29
    (b"content-range", 13),                // 30
    (b"content-type", 12),                 // 31
    (b"cookie", 6),                        // 32
    (b"date", 4),                          // 33
    (b"etag", 4),                          // 34
    (b"expect", 6),                        // 35
    (b"expires", 7),                       // 36
    (b"from", 4),                          // 37
    (b"host", 4),                          // 38
    (b"if-match", 8),                      // 39
    (b"if-modified-since", 17),            // 40
    (b"if-none-match", 13),                // 41
    (b"if-range", 8),                      // 42
    (b"if-unmodified-since", 19),          // 43
    (b"last-modified", 13),                // 44
    (b"link", 4),                          // 45
    (b"location", 8),                      // 46
    (b"max-forwards", 12),                 // 47
    (b"proxy-authenticate", 18),           // 48
    (b"proxy-authorization", 19),          // 49
    (b"range", 5),                         // 50
    (b"referer", 7),                       // 51
    (b"refresh", 7),                       // 52
    (b"retry-after", 11),                  // 53
    (b"server", 6),                        // 54
    (b"set-cookie", 10),                   // 55
    (b"strict-transport-security", 25),    // 56
    (b"transfer-encoding", 17),            // 57
    (b"user-agent", 10),                   // 58
    (b"vary", 4),                          // 59
    (b"via", 3),                           // 60
    (b"www-authenticate", 16),             // 61
];

/// Lowest static index whose name is `name`, if any.
#[inline]
pub(crate) fn name_index(name: &[u8]) -> Option<u8> {
    let i = match name.len() {
        3 => match name {
            b"age" => 21,
            b"via" => 60,
            _ => 0,
        },
        4 => match name {
            b"date" => 33,
            b"etag" => 34,
            b"from" => 37,
            b"host" => 38,
            b"link" => 45,
            b"vary" => 59,
            _ => 0,
        },
        5 => match name {
            b":path" => 4,
            b"allow" => 22,
            b"range" => 50,
            _ => 0,
        },
        6 => match name {
            b"accept" => 19,
            b"cookie" => 32,
            b"expect" => 35,
            b"server" => 54,
            _ => 0,
        },
        7 => match name {
            b":method" => 2,
            b":scheme" => 6,
            b":status" => 8,
            b"expires" => 36,
            b"referer" => 51,
            b"refresh" => 52,
            _ => 0,
        },
        8 => match name {
            b"if-match" => 39,
            b"if-range" => 42,
            b"location" => 46,
            _ => 0,
        },
        10 => match name {
            b":authority" => 1,
            b"set-cookie" => 55,
            b"user-agent" => 58,
            _ => 0,
        },
        11 => match name {
            b"retry-after" => 53,
            _ => 0,
        },
        12 => match name {
            b"content-type" => 31,
            b"max-forwards" => 47,
            _ => 0,
        },
        13 => match name {
            b"accept-ranges" => 18,
            b"authorization" => 23,
            b"cache-control" => 24,
            b"content-range" => 30,
            b"if-none-match" => 41,
            b"last-modified" => 44,
            _ => 0,
        },
        14 => match name {
            b"accept-charset" => 15,
            b"content-length" => 28,
            _ => 0,
        },
        15 => match name {
            b"accept-encoding" => 16,
            b"accept-language" => 17,
            _ => 0,
        },
        16 => match name {
            b"content-encoding" => 26,
            b"content-language" => 27,
            b"content-location" => 29,
            b"www-authenticate" => 61,
            _ => 0,
        },
        17 => match name {
            b"if-modified-since" => 40,
            b"transfer-encoding" => 57,
            _ => 0,
        },
        18 => match name {
            b"proxy-authenticate" => 48,
            _ => 0,
        },
        19 => match name {
            b"content-disposition" => 25,
            b"if-unmodified-since" => 43,
            b"proxy-authorization" => 49,
            _ => 0,
        },
        25 => match name {
            b"strict-transport-security" => 56,
            _ => 0,
        },
        27 => match name {
            b"access-control-allow-origin" => 20,
            _ => 0,
        },
        _ => 0,
    };
    if i == 0 {
        None
    } else {
        Some(i)
    }
}

/// Result of a static lookup for a whole field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Match {
    /// Index of an entry with this name (0: none).
    pub name: u8,
    /// Index of an entry with this name and value (0: none).
    pub field: u8,
}

/// Finds `name` (and, where the table has values for it, `value`) in the static table.
#[inline]
pub(crate) fn lookup(name: &[u8], value: &[u8]) -> Match {
    let Some(name_idx) = name_index(name) else {
        return Match { name: 0, field: 0 };
    };
    let field = match name_idx {
        2 => match value {
            b"GET" => 2,
            b"POST" => 3,
            _ => 0,
        },
        4 => match value {
            b"/" => 4,
            b"/index.html" => 5,
            _ => 0,
        },
        6 => match value {
            b"http" => 6,
            b"https" => 7,
            _ => 0,
        },
        8 => match value {
            b"200" => 8,
            b"204" => 9,
            b"206" => 10,
            b"304" => 11,
            b"400" => 12,
            b"404" => 13,
            b"500" => 14,
            _ => 0,
        },
        16 => match value {
            b"gzip, deflate" => 16,
            _ => 0,
        },
        // The remaining entries have empty values.
        i if value.is_empty() => i,
        _ => 0,
    };
    Match { name: name_idx, field }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_match_entries() {
        for ((name, value), (field, name_len)) in ENTRIES.iter().zip(FIELDS.iter()) {
            assert_eq!((&field[..*name_len], &field[*name_len..]), (*name, *value));
        }
    }

    #[test]
    fn every_entry_is_found() {
        for (i, (name, value)) in ENTRIES.iter().enumerate() {
            let idx = i as u8 + 1;
            let first = ENTRIES.iter().position(|(n, _)| n == name).unwrap() as u8 + 1;
            assert_eq!(name_index(name), Some(first));
            assert_eq!(lookup(name, value), Match { name: first, field: idx });
        }
    }

    #[test]
    fn misses() {
        for name in
            [&b""[..], b"x", b":authorit", b"Date", b"content-typf", b"grpc-status", b"www-authenticatee"]
        {
            assert_eq!(name_index(name), None);
        }
        assert_eq!(lookup(b":method", b"PUT"), Match { name: 2, field: 0 });
        assert_eq!(lookup(b"date", b"x"), Match { name: 33, field: 0 });
        assert_eq!(lookup(b":authority", b"x"), Match { name: 1, field: 0 });
    }
}
