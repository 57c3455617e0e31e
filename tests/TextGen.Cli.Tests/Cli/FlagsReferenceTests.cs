using System.CommandLine;
using System.Globalization;
using TextGen.Cli;

namespace TextGen.Tests.Cli;

/// <summary>docs/flags.md lists every flag of every command with the default the program has.</summary>
public class FlagsReferenceTests
{
    [Fact]
    public void EveryFlagOfEveryCommandIsDocumentedWithItsDefault()
    {
        var reference = File.ReadAllText(RepositoryFile("docs", "flags.md"));
        var problems = new List<string>();
        foreach (var (path, command) in Commands(CommandLineApp.Build(), "textgen"))
        {
            var section = Section(reference, path);
            if (section is null)
            {
                problems.Add($"no section for `{path}`");
                continue;
            }
            foreach (var option in command.Options.Where(o => o is not System.CommandLine.Help.HelpOption))
            {
                var row = section.Split('\n').FirstOrDefault(line => line.StartsWith('|') && Flags(line).Contains(option.Name));
                if (row is null)
                {
                    problems.Add($"{path}: {option.Name} is not documented");
                    continue;
                }
                var variable = System.Text.RegularExpressions.Regex.Match(option.Description ?? "", @"Environment: (TEXTGEN_\w+)\.");
                if (variable.Success && !section.Contains($"`{variable.Groups[1].Value}`"))
                {
                    problems.Add($"{path}: {option.Name} is read from {variable.Groups[1].Value}, which the reference does not name");
                }
                if (DeclaredDefault(option) is { } value && !Tokens(row.Split('|')[2]).Contains(value))
                {
                    problems.Add($"{path}: {option.Name} defaults to {value}, the reference says{row.Split('|')[2]}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The words and numbers of a cell, so that a default of 2 is not found inside 20.</summary>
    private static string[] Tokens(string cell) =>
        cell.Split([' ', '`', '(', ')'], StringSplitOptions.RemoveEmptyEntries).Select(t => t.TrimEnd(',', '.', ';')).ToArray();

    /// <summary>The flags a table row documents: its first cell, e.g. "`-o, --output`".</summary>
    private static string[] Flags(string row) => row.Split('|')[1].Trim().Trim('`').Split(", ");

    /// <summary>The option's fixed default as the reference would show it; null where it has none or it depends on the machine.</summary>
    private static string? DeclaredDefault(Option option)
    {
        if (!option.HasDefaultValue || option.ValueType == typeof(bool) || option.Name == "--max-concurrency") return null;
        return option.GetDefaultValue() switch
        {
            null => null,
            string text when text.Length == 0 => null,
            Array => null,
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };
    }

    private static IEnumerable<(string Path, Command Command)> Commands(Command parent, string path)
    {
        foreach (var child in parent.Subcommands)
        {
            var childPath = $"{path} {child.Name}";
            if (child.Subcommands.Count == 0) yield return (childPath, child);
            foreach (var nested in Commands(child, childPath)) yield return nested;
        }
    }

    /// <summary>The text under the heading "## `PATH ...`" up to the next heading.</summary>
    private static string? Section(string reference, string path)
    {
        var start = reference.IndexOf($"## `{path}", StringComparison.Ordinal);
        if (start < 0) return null;
        var end = reference.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return end < 0 ? reference[start..] : reference[start..end];
    }

    private static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(string.Join('/', parts));
    }
}
