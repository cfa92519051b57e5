using BotRouter.Core.Chats;
using BotRouter.Core.Delivery;

namespace BotRouter.UnitTests;

public class ReplyReferenceTests
{
    [Fact]
    public void A_reply_reference_names_its_chat_and_fits_in_32_characters()
    {
        var chat = ChatId.New();

        var reference = ReplyReference.For(chat, Guid.NewGuid().ToString("N"));

        Assert.True(reference.Length <= 32, reference);
        Assert.True(ReplyReference.TryParse(reference, out var named));
        Assert.Equal(chat, named);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("your-reference")]
    [InlineData("0123456789abcdef0123456789abcdef0123")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!abcdefghij")]
    [InlineData("rAAAAAAAAAAAAAAAAAAAAAAZdeadbeef")]
    public void A_reference_the_app_did_not_make_names_no_chat(string? reference)
    {
        Assert.False(ReplyReference.TryParse(reference, out _));
    }
}
