using System.Globalization;
using System.Text;
using TextGen.Persistence;

namespace TextGen.Forecasting;

/// <summary>
/// Loads a price column from a CSV file with a header: Yahoo Finance exports (Date,Open,High,Low,Close,...),
/// two-column files (Date,Price) and multi-column files (Date,IBM,AAPL,...). Lines starting with '#' are comments.
/// Blank rows and empty or non-numeric cells are skipped and counted; dates must parse, are sorted, and may not repeat.
/// </summary>
public static class PriceCsv
{
    private static readonly string[] PreferredColumns = ["Close", "Adj Close", "Price", "Value"];
    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM", "yyyy/MM/dd", "MM/dd/yyyy", "M/d/yyyy", "dd.MM.yyyy", "yyyyMMdd"];

    public static PriceSeries Load(string path, string? column = null, string? dateColumn = null)
    {
        var lines = Encoding.UTF8.GetString(InputFile.ReadAllBytes(path, "CSV file", "check the path"))
            .TrimStart('\uFEFF').Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var headerIndex = lines.FindIndex(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        if (headerIndex < 0)
        {
            throw new TextGenException($"{path} has no header row; the first line must name the columns, e.g. Date,Close.");
        }
        var header = SplitCsvLine(lines[headerIndex]).Select(h => h.Trim()).ToArray();
        var dateAt = FindDateColumn(path, header, dateColumn);
        var valueAt = FindValueColumn(path, header, column, dateAt);

        var rows = new List<(DateTime Date, double Value, int Line)>();
        var seen = new Dictionary<DateTime, int>(); // every dated row, priced or not: a repeated date is an error either way
        int blank = 0, empty = 0, nonNumeric = 0;
        for (var i = headerIndex + 1; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            var cells = SplitCsvLine(line);
            if (cells.All(c => c.Trim().Length == 0))
            {
                if (i < lines.Count - 1 || line.Length > 0) blank++;
                continue;
            }
            var dateText = dateAt < cells.Count ? cells[dateAt].Trim() : "";
            if (!DateTime.TryParseExact(dateText, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var date))
            {
                throw new TextGenException($"{path} line {i + 1}: '{dateText}' in column {header[dateAt]} is not a date; use ISO dates like 2024-01-31 (or pick the right date column).");
            }
            if (cells.Count > header.Length)
            {
                throw new TextGenException($"{path} line {i + 1} has {cells.Count} cells but the header names {header.Length} columns; quote cells that hold commas, or fix the row.");
            }
            if (seen.TryGetValue(date, out var firstLine))
            {
                throw new TextGenException($"{path}: the date {date:yyyy-MM-dd} appears twice (lines {firstLine} and {i + 1}); remove the duplicate row.");
            }
            seen[date] = i + 1;
            var valueText = valueAt < cells.Count ? cells[valueAt].Trim() : "";
            if (valueText.Length == 0)
            {
                empty++;
            }
            else if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                rows.Add((date, value, i + 1));
            }
            else
            {
                nonNumeric++;
            }
        }

        rows.Sort((a, b) => a.Date.CompareTo(b.Date));
        return new PriceSeries(header[valueAt], header[dateAt], rows.Select(r => r.Date).ToArray(), rows.Select(r => r.Value).ToArray(), blank, empty, nonNumeric);
    }

    private static int FindDateColumn(string path, string[] header, string? dateColumn)
    {
        if (dateColumn is not null)
        {
            return IndexOf(header, dateColumn) is { } at ? at
                : throw new SettingException("date-column", $"'{dateColumn}' is not a column of {path} (columns: {string.Join(", ", header)}); pass one of them.");
        }
        return IndexOf(header, "Date") ?? 0;
    }

    private static int FindValueColumn(string path, string[] header, string? column, int dateAt)
    {
        if (column is not null)
        {
            return IndexOf(header, column) is { } at && at != dateAt ? at
                : throw new SettingException("column", $"'{column}' is not a price column of {path} (columns: {string.Join(", ", header)}); pass one of them.");
        }
        foreach (var preferred in PreferredColumns)
        {
            if (IndexOf(header, preferred) is { } at && at != dateAt) return at;
        }
        var others = Enumerable.Range(0, header.Length).Where(i => i != dateAt).ToArray();
        return others.Length switch
        {
            1 => others[0],
            0 => throw new TextGenException($"{path} has only a date column; it needs a price column too."),
            _ => throw new SettingException("column", $"is needed: {path} has several price columns ({string.Join(", ", others.Select(i => header[i]))}); choose one."),
        };
    }

    private static int? IndexOf(string[] header, string name)
    {
        var at = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        return at >= 0 ? at : null;
    }

    /// <summary>Splits one CSV line, honouring double quotes ("a,b" is one cell, "" inside quotes is a quote).</summary>
    internal static List<string> SplitCsvLine(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
