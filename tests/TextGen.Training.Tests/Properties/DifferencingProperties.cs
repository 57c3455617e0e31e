using CsCheck;
using TextGen.Forecasting;

namespace TextGen.Tests.Properties;

/// <summary>Differencing and its inverse give any positive price series back (to rounding), in every mode.</summary>
public class DifferencingProperties
{
    [Fact]
    public void InvertingTheChangesGivesThePricesBack() =>
        Gen.Select(Gen.Double[0.001, 1e6].Array[2, 60], Gen.Enum<DiffMode>()).Sample((prices, mode) =>
        {
            var changes = Differencing.Apply(prices, mode);
            var lag = Differencing.Lag(mode);
            Assert.Equal(prices.Length - lag, changes.Length);
            var level = prices[0];
            for (var i = 0; i < changes.Length; i++)
            {
                level = Differencing.Invert(level, changes[i], mode);
                // Rounding is relative to the larger of the two prices a change links (abs changes subtract them).
                Assert.Equal(prices[i + lag], level, Math.Max(prices[i + lag], prices[Math.Max(0, i + lag - 1)]) * 1e-12);
                level = prices[i + lag]; // each step from the true previous price, as forecasts are scored
            }
        }, iter: 2000);
}
