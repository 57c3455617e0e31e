using SharpFuzz;
using TextGen.Fuzzing;

// fuzz TARGET                 afl-fuzz's fork server over TARGET (scripts/fuzz.sh starts it); one input from stdin otherwise
// fuzz TARGET --seeds DIR     writes TARGET's seeds into DIR
// fuzz TARGET FILE...         runs each file and says how it ended: taken, refused, or the exception (for triage)
// fuzz --list                 the targets
if (args is ["--list"])
{
    foreach (var target in FuzzTarget.All) Console.WriteLine($"{target.Name,-16}{target.Description}");
    return 0;
}
if (args.Length == 0 || FuzzTarget.Named(args[0]) is not { } chosen)
{
    Console.Error.WriteLine($"usage: TextGen.Fuzzing TARGET [--seeds DIR | FILE...]; targets: {string.Join(", ", FuzzTarget.All.Select(t => t.Name))}");
    return 2;
}
if (args is [_, "--seeds", var folder])
{
    Directory.CreateDirectory(folder);
    foreach (var (name, bytes) in chosen.Seeds()) File.WriteAllBytes(Path.Combine(folder, name), bytes);
    return 0;
}
if (args.Length > 1)
{
    var failed = 0;
    foreach (var file in args.Skip(1))
    {
        try
        {
            Console.WriteLine($"{file}: {(chosen.Run(File.ReadAllBytes(file)) ? "taken" : "refused")}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: FINDING {e}");
        }
    }
    return failed == 0 ? 0 : 1;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    chosen.Run(buffer.ToArray());
});
return 0;
