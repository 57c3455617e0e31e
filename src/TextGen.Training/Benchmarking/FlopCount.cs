using TextGen.Modeling;

namespace TextGen.Benchmarking;

/// <summary>Multiply-add work of a recurrent language model, counting matrix products only (2 FLOPs per multiply-add).</summary>
public static class FlopCount
{
    /// <summary>Forward FLOPs per token: every layer's input and recurrent products, the dense layers and the head.</summary>
    public static double ForwardPerToken(RecurrentNetConfig config)
    {
        double flops = 0;
        var input = config.OneHot ? config.VocabularySize : config.Embedding;
        for (var layer = 0; layer < config.Layers; layer++)
        {
            flops += 2.0 * RecurrentNetConfig.Gates(config.Cell) * config.Hidden * (input + config.Hidden);
            input = config.Hidden;
        }
        foreach (var width in config.Dense)
        {
            flops += 2.0 * input * width;
            input = width;
        }
        return flops + 2.0 * input * config.VocabularySize;
    }

    /// <summary>Generation FLOPs per token: the forward pass but layer 0's input product, which the engine looks up.</summary>
    public static double GenerationPerToken(RecurrentNetConfig config) =>
        ForwardPerToken(config) - 2.0 * RecurrentNetConfig.Gates(config.Cell) * config.Hidden * (config.OneHot ? config.VocabularySize : config.Embedding);

    /// <summary>Training FLOPs per token: the forward pass and a backward pass that costs twice as much.</summary>
    public static double TrainingPerToken(RecurrentNetConfig config) => 3 * ForwardPerToken(config);
}
