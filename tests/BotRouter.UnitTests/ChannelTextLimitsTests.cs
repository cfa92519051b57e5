using BotRouter.Core.Bots;
using CsCheck;

namespace BotRouter.UnitTests;

public class ChannelTextLimitsTests
{
    [Theory]
    [InlineData("WhatsApp", 4096)]
    [InlineData("whatsapp", 4096)]
    [InlineData("SMS", 160)]
    [InlineData("SomethingNew", ChannelTextLimits.Default)]
    [InlineData(null, ChannelTextLimits.Default)]
    public void Each_channel_has_a_limit_and_unknown_ones_the_default(string? channel, int limit) =>
        Assert.Equal(limit, ChannelTextLimits.For(channel));

    [Fact]
    public void A_text_that_fits_stays_one_part()
    {
        Assert.Equal(["short text"], ChannelTextLimits.Split("short text", 10));
    }

    [Fact]
    public void A_long_text_is_cut_at_the_last_space_that_fits()
    {
        Assert.Equal(["the quick", "brown fox", "jumps"], ChannelTextLimits.Split("the quick brown fox jumps", 10));
    }

    [Fact]
    public void A_word_longer_than_the_limit_is_cut_hard_but_never_inside_a_surrogate_pair()
    {
        var parts = ChannelTextLimits.Split("abc😀def", 4);

        Assert.Equal(["abc", "😀de", "f"], parts);
    }

    [Fact]
    public void Parts_always_fit_and_keep_every_word_in_order()
    {
        Gen.Select(Gen.String[Gen.Char["ab \n"], 0, 300], Gen.Int[2, 40]).Sample((text, limit) =>
        {
            var parts = ChannelTextLimits.Split(text, limit);
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var rejoined = parts.SelectMany(p => p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return parts.All(p => p.Length <= limit)
                && (words.Any(w => w.Length > limit) || rejoined.SequenceEqual(words));
        });
    }
}
