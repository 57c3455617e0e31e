using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TextGen.Tests.Server;

/// <summary>
/// A strict parser of Prometheus' text exposition format (version 0.0.4), for checking what /metrics serves: every
/// line a HELP or TYPE comment or a sample, names and label names valid, label values with their escapes, each
/// family's TYPE once and before its samples, and histograms whole (buckets by ascending le, cumulative, the +Inf bucket
/// equal to _count, _sum present). Throws FormatException naming the line otherwise.
/// </summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Scrape(IReadOnlyDictionary<string, string> Types, IReadOnlyList<Sample> Samples)
    {
        /// <summary>The value of the sample with this name and exactly these labels; null when absent.</summary>
        public double? Value(string name, params (string Name, string Value)[] labels) =>
            Samples.FirstOrDefault(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))?.Value;
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    private static readonly string[] Kinds = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static Scrape Parse(string text)
    {
        var types = new Dictionary<string, string>();
        var samples = new List<Sample>();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] == "TYPE")
                {
                    if (parts.Length != 4 || !Kinds.Contains(parts[3])) throw Bad(number, line, "a TYPE line needs a name and one of " + string.Join(", ", Kinds));
                    if (!MetricName().IsMatch(parts[2])) throw Bad(number, line, "invalid metric name");
                    if (samples.Any(s => Family(s.Name, types) == parts[2])) throw Bad(number, line, "TYPE after the family's samples");
                    if (!types.TryAdd(parts[2], parts[3])) throw Bad(number, line, "a second TYPE for the family");
                }
                else if (parts.Length >= 3 && parts[1] == "HELP" && !MetricName().IsMatch(parts[2])) throw Bad(number, line, "invalid metric name");
                continue;
            }
            samples.Add(ParseSample(line, number));
        }
        CheckHistograms(types, samples);
        return new Scrape(types, samples);
    }

    private static Sample ParseSample(string line, int number)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (!MetricName().IsMatch(name)) throw Bad(number, line, "invalid metric name");
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (line[i] != '=') i++;
                var label = line[start..i];
                if (!LabelName().IsMatch(label)) throw Bad(number, line, $"invalid label name '{label}'");
                if (line[++i] != '"') throw Bad(number, line, "a label value must be quoted");
                var value = new StringBuilder();
                for (i++; line[i] != '"'; i++)
                {
                    if (line[i] != '\\')
                    {
                        value.Append(line[i]);
                        continue;
                    }
                    value.Append(line[++i] switch
                    {
                        '\\' => '\\',
                        '"' => '"',
                        'n' => '\n',
                        var c => throw Bad(number, line, $"unknown escape \\{c}"),
                    });
                }
                if (!labels.TryAdd(label, value.ToString())) throw Bad(number, line, $"label '{label}' twice");
                i++;
                if (line[i] == ',') i++;
            }
            i++;
        }
        var fields = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2 || line[i] != ' ') throw Bad(number, line, "expected a value and at most a timestamp after the name");
        var parsed = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw Bad(number, line, $"'{fields[0]}' is not a number"),
        };
        if (fields.Length == 2 && !long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) throw Bad(number, line, "the timestamp is not an integer");
        return new Sample(name, labels, parsed);
    }

    private static string Family(string sample, IReadOnlyDictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(sample[..^suffix.Length], out var kind) && kind is "histogram" or "summary") return sample[..^suffix.Length];
        }
        return sample;
    }

    private static void CheckHistograms(IReadOnlyDictionary<string, string> types, List<Sample> samples)
    {
        foreach (var (family, _) in types.Where(t => t.Value == "histogram"))
        {
            var series = samples.Where(s => Family(s.Name, types) == family).GroupBy(s => string.Join(',', s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")));
            foreach (var group in series)
            {
                var buckets = group.Where(s => s.Name == family + "_bucket")
                    .Select(s => (Le: s.Labels.TryGetValue("le", out var le) ? le : throw new FormatException($"{family}_bucket without le"), s.Value)).ToArray();
                var bounds = buckets.Select(b => b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture)).ToArray();
                if (buckets.Length == 0 || !double.IsPositiveInfinity(bounds[^1])) throw new FormatException($"{family}: no +Inf bucket last");
                for (var b = 1; b < buckets.Length; b++)
                {
                    if (bounds[b] <= bounds[b - 1]) throw new FormatException($"{family}: bucket bounds not ascending");
                    if (buckets[b].Value < buckets[b - 1].Value) throw new FormatException($"{family}: buckets not cumulative");
                }
                var count = group.SingleOrDefault(s => s.Name == family + "_count") ?? throw new FormatException($"{family}: no _count");
                _ = group.SingleOrDefault(s => s.Name == family + "_sum") ?? throw new FormatException($"{family}: no _sum");
                if (count.Value != buckets[^1].Value) throw new FormatException($"{family}: _count {count.Value} is not the +Inf bucket's {buckets[^1].Value}");
            }
        }
    }

    private static FormatException Bad(int number, string line, string problem) => new($"line {number}: {problem}: {line}");
}
