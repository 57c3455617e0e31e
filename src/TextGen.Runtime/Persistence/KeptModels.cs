using System.Globalization;
using System.Text.RegularExpressions;

namespace TextGen.Persistence;

/// <summary>
/// The models a run keeps of its last evaluations (<c>train --keep N</c>), beside its best: <c>NAME-stepS.tgm</c> next
/// to <c>NAME.tgm</c>, numbered by training step. They are ordinary model files; only the search for the newest model in
/// a folder passes over them, since the best one, not the latest evaluation, is what a run leaves for use.
/// </summary>
public static partial class KeptModels
{
    public static string PathFor(string outputPath, long step) =>
        Path.Combine(Path.GetDirectoryName(outputPath) ?? "", $"{Path.GetFileNameWithoutExtension(outputPath)}-step{step.ToString(CultureInfo.InvariantCulture)}{ModelFile.Extension}");

    /// <summary>Whether a file name is a kept evaluation's model (of any run).</summary>
    public static bool IsKept(string fileName) => KeptName().IsMatch(fileName);

    /// <summary>The kept models of the run writing <paramref name="outputPath"/>, newest (highest step) first.</summary>
    public static IReadOnlyList<string> Of(string outputPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        var stem = Path.GetFileNameWithoutExtension(outputPath) + "-step";
        if (!Directory.Exists(directory)) return [];
        return Directory.EnumerateFiles(directory, stem + "*" + ModelFile.Extension)
            .Select(path => (path, step: Step(Path.GetFileName(path), stem)))
            .Where(p => p.step is not null)
            .OrderByDescending(p => p.step)
            .Select(p => p.path)
            .ToList();
    }

    /// <summary>Deletes all but the <paramref name="keep"/> newest kept models of the run writing <paramref name="outputPath"/>.</summary>
    public static void Prune(string outputPath, int keep)
    {
        foreach (var old in Of(outputPath).Skip(keep)) File.Delete(old);
    }

    private static long? Step(string fileName, string stem)
    {
        var digits = fileName[stem.Length..^ModelFile.Extension.Length];
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    [GeneratedRegex(@"-step[0-9]+\.tgm$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeptName();
}
