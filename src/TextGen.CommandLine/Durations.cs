using System.Globalization;
using System.Text.RegularExpressions;

namespace TextGen.CommandLine;

/// <summary>Parses durations such as 90s, 5m, 1.5h, 1h30m or a plain number of seconds, up to a year.</summary>
public static partial class Durations
{
    public static readonly TimeSpan Longest = TimeSpan.FromDays(365);

    [GeneratedRegex(@"^\s*(?:(?<h>\d+(?:\.\d+)?)h)?\s*(?:(?<m>\d+(?:\.\d+)?)m)?\s*(?:(?<s>\d+(?:\.\d+)?)s?)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public static TimeSpan? TryParse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success || text.Trim().Length == 0)
        {
            return null;
        }
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part("h") * 3600 + Part("m") * 60 + Part("s");
        return seconds > 0 && seconds <= Longest.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }
}
