//! CSV text through the `csv` crate, for every CSV vpsim writes (replay and compare
//! `--format csv`, the `--timeline` file, query results): RFC 4180 quoting — a field
//! holding a comma, a quote or a line break is quoted, quotes doubled — and `\n` line
//! ends, so any CSV reader (and vpsim's own) reads it back field for field.

/// A CSV document being built in memory.
pub(crate) struct CsvText {
    w: csv::Writer<Vec<u8>>,
}

impl CsvText {
    pub(crate) fn new() -> CsvText {
        CsvText {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .quote_style(csv::QuoteStyle::Necessary)
                // Rows of a comparison may differ in length from the header only by
                // design of the caller; the writer need not police it.
                .flexible(true)
                .from_writer(Vec::new()),
        }
    }

    /// Append one record.
    pub(crate) fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        // Writing to memory has no I/O to fail; the only error the writer reports is
        // an I/O error of its sink.
        self.w
            .write_record(fields)
            .expect("writing CSV to memory cannot fail");
    }

    /// The document as text.
    pub(crate) fn finish(self) -> String {
        let bytes = self
            .w
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("flushing CSV to memory cannot fail");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quoting as RFC 4180 says, and what a reader gets back is what went in.
    #[test]
    fn quotes_what_needs_it_and_round_trips() {
        let mut c = CsvText::new();
        c.record(["a", "b,c", "say \"hi\"", "two\nlines", ""]);
        c.record(["1", "2", "3", "4", "5"]);
        let text = c.finish();
        assert_eq!(
            text,
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\n1,2,3,4,5\n"
        );
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let first: Vec<String> = r
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(first, ["a", "b,c", "say \"hi\"", "two\nlines", ""]);
    }
}
