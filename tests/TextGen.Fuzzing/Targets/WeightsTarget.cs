using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Fuzzing;

/// <summary>A weights section on its own (TorchSharp's state-dict format), then matched against an architecture.</summary>
internal sealed class WeightsTarget : FuzzTarget
{
    public override string Name => "weights";

    public override string Description => "weights section (state dict: LEB128 counts, names, shapes, float32 values)";

    private static readonly RecurrentNetConfig Architecture = new() { Cell = CellType.Gru, Layers = 1, Hidden = 2, Embedding = 2, VocabularySize = 3 };

    public override bool Run(byte[] input) => Refusable(() =>
    {
        var tensors = StateDict.Read(input, "weights");
        var elements = tensors.Values.Sum(t => (long)t.Values.Length);
        if (elements * sizeof(float) > input.Length) throw new FuzzFinding($"{elements} values read from {input.Length} bytes");
        LanguageModelWeights.From(tensors, Architecture, "weights");
    });

    public override IEnumerable<(string, byte[])> Seeds()
    {
        var shapes = LanguageModelWeights.ExpectedShapes(Architecture);
        yield return ("gru", SeedFiles.StateDict(shapes.ToDictionary(s => s.Key, s => new FloatTensor(s.Value, new float[s.Value.Aggregate(1L, (a, b) => a * b)]))));
        yield return ("scalar-and-empty", SeedFiles.StateDict(new Dictionary<string, FloatTensor> { ["a"] = new([], [1f]), ["b"] = new([0, 4], []) }));
    }
}
