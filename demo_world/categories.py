"""Transparent keyword rules that assign every catalogue item one category from its title."""

from __future__ import annotations

import re

# Ordered rules: the FIRST category with a keyword (a whole word or phrase of the lower-cased
# title, keywords separated by " | ") wins, so specific themes (christmas) come before generic
# shapes (box, bag). Titles matching no rule fall back to "gifts".
_RULES: tuple[tuple[str, str], ...] = (
    (
        "christmas",
        "christmas | xmas | santa | reindeer | advent | bauble | baubles | snowflake |"
        " snowman | nativity | holly | wreath | noel | paper chain | tree decoration",
    ),
    (
        "seasonal",
        "easter | chick | chicks | bunny | bunnies | egg hunt | halloween | valentine |"
        " spring | mothers day | fathers day",
    ),
    (
        "candles",
        "candle | candles | t-light | t-lights | tealight | tealights | lantern |"
        " lanterns | lights | night light | lamp | oil burner | incense | matches | scent |"
        " scented | candlepot | candlestick | candleholder | nightlight | lampshade |"
        " torch | paperlanterns",
    ),
    (
        "party",
        "party | bunting | balloon | balloons | wrap | wrapping | ribbon | ribbons |"
        " gift bag | gift bags | invites | birthday | napkins | napkin | paper cups |"
        " paper plates | confetti | doilies | cake cases | gift tags | gift wraps |"
        " petit four | tinsel | cones",
    ),
    (
        "toys",
        "toy | toys | game | games | doll | dolls | skittles | marbles | puzzle | jigsaw |"
        " soldier | playhouse | dominoes | stress ball | bingo | snakes | teddy |"
        " snap cards | playing cards | spinning top | kids | childs | childrens | spaceboy |"
        " dinosaur | ludo | magic | tv | tattoos | helicopter | racing car | flying disc |"
        " skipping rope | spinning tops | modelling clay | paint set | badges | patches |"
        " creepy crawlies | puppet | sombrero",
    ),
    (
        "crafts",
        "sewing | craft | feltcraft | knitting | button | buttons | needle | thread |"
        " crochet | decoupage | embroidery | glitter | felt | colouring",
    ),
    (
        "stationery",
        "notebook | notebooks | pen | pens | pencil | pencils | card | cards | sticker |"
        " stickers | envelope | envelopes | journal | diary | calendar | memo | eraser |"
        " rubber | ruler | sharpener | sketchbook | writing | tape | address book | book |"
        " photo album | crayons | chalk | postcard | paper | notelets | stamp | chalkboard |"
        " stationery | memoboard | erasers | calculator | tapes",
    ),
    (
        "jewellery",
        "necklace | bracelet | earrings | ring | brooch | hair | clip | clips | comb |"
        " jewel | jewelled | beads | beaded | charm | purse | umbrella | scarf | wallet |"
        " passport | luggage | keyring | key ring | key fob | fob | diamante | bangle |"
        " sunglasses | earring | handbag | jewellery set | rain hat | poncho | headphones",
    ),
    (
        "bath",
        "soap | bath | bathroom | wash | washbag | toiletry | lip gloss | nail | balm |"
        " hand cream | first aid | plasters | tissues | cosmetic | make up | toilet |"
        " sponge | towel | towels | flannel | shower",
    ),
    (
        "kitchen",
        "mug | mugs | cup | cups | plate | plates | bowl | bowls | jug | teapot | tea set |"
        " cake stand | cakestand | cake tin | baking | spoon | spoons | cutlery |"
        " tea towel | apron | lunch box | lunchbox | tumbler | glasses | cutter | cutters |"
        " tray | jar | jars | kitchen | egg cup | coaster | coasters | saucer | dish |"
        " recipe | biscuit | chopsticks | measuring | oven | pan | chopping | butter |"
        " milk | sugar | cafe | coffee | tea | teatime | food | popcorn | bread | cake |"
        " cakes | jam | pantry | dinner | breakfast | beaker | straws | pizza | toast |"
        " cupcake | cocktail | wine | bottle | flask | picnic | placemat | placemats |"
        " tablecloth | table cloth | teatowels | toastrack | colander | egg holder |"
        " teaspoons | salad | beakers | utensil | place settings | bib",
    ),
    (
        "bags",
        "bag | bags | shopper | tote | backpack | rucksack | satchel | holdall",
    ),
    (
        "garden",
        "garden | plant | plants | watering | parasol | bird | birdhouse | birds | seed |"
        " seeds | herb | trowel | tools | feeder | windmill | wind chime | hammock |"
        " potting | shed | grow | bucket | outdoor | beach | flower pot | planter | gnome |"
        " zinc",
    ),
    (
        "textiles",
        "cushion | cushions | cover | hot water | blanket | throw | quilt | slipper |"
        " slippers | sock | socks | warmer | gloves | glove | cosy | pad | cotton | fabric |"
        " lace | silk",
    ),
    (
        "storage",
        "box | boxes | tin | tins | basket | baskets | storage | crate | chest | drawer |"
        " drawers | cabinet | bin | rack | container | organiser | case | hamper",
    ),
    (
        "decor",
        "sign | frame | frames | clock | mirror | doormat | door mat | heart | hearts |"
        " hanging | ornament | decoration | decorations | vase | wall | plaque | trinket |"
        " letters | block word | garland | wicker | hook | hooks | hanger | knob |"
        " doorstop | magnet | magnets | picture | photo | bell | bells | chandelier |"
        " ornaments | flag | bunny | star | stars | feather | cherub | angel | butterfly |"
        " mobile | wreath | diner | billboard | lovebird | dove | bench | table | pouffe |"
        " coathook | pegs | disco ball | cloche | pennant | rosette | drawerknob",
    ),
)
FALLBACK_CATEGORY = "gifts"
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (name, tuple(keyword.strip() for keyword in keywords.split("|"))) for name, keywords in _RULES
)
CATEGORIES: tuple[str, ...] = (*(name for name, _ in CATEGORY_RULES), FALLBACK_CATEGORY)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (
        name,
        re.compile(
            r"(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in keywords) + r")(?![a-z0-9])"
        ),
    )
    for name, keywords in CATEGORY_RULES
)


def categorize(title: str) -> str:
    """Return the category of an item title (first matching rule, else the fallback)."""
    text = title.lower()
    for name, pattern in _PATTERNS:
        if pattern.search(text):
            return name
    return FALLBACK_CATEGORY
