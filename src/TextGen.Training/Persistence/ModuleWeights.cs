using static TorchSharp.torch;

namespace TextGen.Persistence;

/// <summary>
/// Module parameters to and from bytes, in TorchSharp's own state-dict format (<see cref="StateDict"/> documents it).
/// Loading parses the bytes with <see cref="StateDict"/> and checks every name and shape against the module before
/// copying, so no number in a file sizes a libtorch allocation.
/// </summary>
public static class ModuleWeights
{
    public static byte[] ToBytes(nn.Module module) => StateDict.Write(ToStateDict(module));

    public static void Load(nn.Module module, byte[] bytes, string path) => Copy(module, StateDict.Read(bytes, path), path);

    /// <summary>The module's weights as arrays, by state-dict name.</summary>
    public static IReadOnlyDictionary<string, FloatTensor> ToStateDict(nn.Module module)
    {
        using var scope = NewDisposeScope(); // the detached, contiguous float32 copies
        return module.state_dict().ToDictionary(p => p.Key,
            p => new FloatTensor(p.Value.shape, p.Value.detach().contiguous().to(ScalarType.Float32).data<float>().ToArray()), StringComparer.Ordinal);
    }

    /// <summary>Copies <paramref name="tensors"/> into the module: exactly its names, exactly its shapes.</summary>
    public static void Copy(nn.Module module, IReadOnlyDictionary<string, FloatTensor> tensors, string path)
    {
        var own = module.state_dict();
        var unexpected = tensors.Keys.FirstOrDefault(k => !own.ContainsKey(k));
        var missing = own.Keys.FirstOrDefault(k => !tensors.ContainsKey(k));
        if (unexpected is not null || missing is not null)
        {
            throw new TextGenException($"{path}: its weights {(missing is not null ? $"lack '{missing}'" : $"hold an unexpected '{unexpected}'")}, " +
                                       "unlike the architecture in its header; the file is corrupt.");
        }
        foreach (var (name, target) in own)
        {
            var source = tensors[name];
            if (!source.Shape.SequenceEqual(target.shape))
            {
                throw new TextGenException($"{path}: its weight '{name}' is [{string.Join(", ", source.Shape)}] " +
                                           $"where the architecture in its header needs [{string.Join(", ", target.shape)}]; the file is corrupt.");
            }
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in own)
        {
            using var values = tensor(tensors[name].Values, target.shape);
            target.copy_(values);
        }
    }
}
