namespace TextGen;

/// <summary>
/// The per-user cache folder that token ids, libtorch, the private C++ runtime and internal-error reports go to: <c>$TEXTGEN_CACHE</c>, else
/// <c>$XDG_CACHE_HOME/textgen</c>, else <c>~/.cache/textgen</c> (the same rule as scripts/setup.sh). Deleting it is
/// always safe: everything in it is made again when needed.
/// </summary>
public static class UserCache
{
    public static string Root
    {
        get
        {
            // Absolute: the private runtime's launcher keeps its folder as its loader's path.
            if (Environment.GetEnvironmentVariable("TEXTGEN_CACHE") is { Length: > 0 } configured) return Path.GetFullPath(configured);
            var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "textgen");
        }
    }
}
