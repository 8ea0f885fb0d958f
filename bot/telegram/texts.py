"""Every sentence the Telegram bridge says by itself, in French (vouvoiement).

What the assistant says in the conversation comes from Rasa (domain responses and
catalog/data/dialogue.yml); the bridge only speaks about Telegram matters: welcome and privacy,
commands, messages it cannot read, service outages. The texts are Telegram HTML: `<b>` is bold,
and a literal `<`, `>` or `&` must be written `&lt;`, `&gt;`, `&amp;`.
"""

from __future__ import annotations

WELCOME = (
    "Bonjour et bienvenue ! Je suis l'assistant <b>Quartiers productifs</b>, un robot qui vous "
    "aide à trouver les aides et les organismes utiles pour créer, reprendre ou développer "
    "votre entreprise dans un quartier prioritaire.\n\n"
    "Décrivez-moi votre projet en quelques mots, par exemple : « je veux ouvrir une épicerie à "
    "Roubaix, je suis au chômage ».\n\n"
    "<b>Vos données</b>\n"
    "• Vos messages sont transmis à l'assistant sous un pseudonyme, sans votre nom, votre "
    "identifiant Telegram ni votre numéro de téléphone, et servent uniquement à vous orienter.\n"
    "• Les informations de votre projet (étape, secteur, commune…) sont conservées pour que la "
    "conversation puisse reprendre plus tard.\n"
    "• Vous pouvez les effacer à tout moment avec la commande /supprimer.\n"
    "• Les messages passent par Telegram, un service tiers soumis à ses propres conditions.\n\n"
    "Tapez /aide pour voir ce que je sais faire."
)

HELP = (
    "Je vous pose quelques questions sur votre projet, puis je vous indique les aides "
    "auxquelles vous pourriez avoir droit (montant, conditions à vérifier, lien officiel) et "
    "les organismes à contacter près de chez vous.\n\n"
    "Écrivez simplement votre situation ou répondez avec les boutons proposés.\n\n"
    "<b>Commandes</b>\n"
    "/recommencer — repartir de zéro\n"
    "/contact — trouver un conseiller près de chez vous\n"
    "/supprimer — effacer les informations de votre profil\n"
    "/aide — revoir ce message"
)

# Descriptions shown in Telegram's command menu (set_my_commands), at most 256 characters.
COMMANDS = {
    "start": "Présentation de l'assistant et de l'usage de vos données",
    "aide": "Ce que je sais faire et les commandes",
    "recommencer": "Repartir de zéro",
    "contact": "Trouver un conseiller près de chez vous",
    "supprimer": "Effacer les informations de votre profil",
}

UNKNOWN_COMMAND = (
    "Je ne connais pas cette commande. Tapez /aide pour voir les commandes "
    "disponibles, ou écrivez-moi simplement votre question."
)

UNAVAILABLE = (
    "Le service est momentanément indisponible. Votre message est bien conservé : je vous "
    "répondrai dès que le service sera rétabli, sans que vous ayez à le renvoyer."
)
BACK_ONLINE = "Le service est rétabli. Voici ma réponse à votre message de tout à l'heure :"
EXPIRED = (
    "Je n'ai pas pu traiter à temps le message que vous m'avez envoyé pendant l'interruption "
    "du service. Pouvez-vous me le renvoyer ?"
)
# In a group every member would share one conversation, one profile and one erasure: the bot
# converses only in private chats ({link}: https://t.me/<bot username>).
PRIVATE_ONLY = (
    "Je ne converse qu'en privé, pour que les informations de chacun restent les siennes : "
    "écrivez-moi directement ici : {link}"
)
PRIVATE_ONLY_ALERT = "Je ne converse qu'en privé : écrivez-moi directement."

REJECTED = "Je n'ai pas pu traiter ce message. Pouvez-vous le reformuler, ou taper /aide ?"

CHOICE_TAKEN = "Votre choix : {title}"
CHOICE_ALREADY_TAKEN = "Ce choix a déjà été pris en compte."
CHOICE_EXPIRED_ALERT = "Ce bouton n'est plus valable."
CHOICE_EXPIRED = (
    "Ce bouton n'est plus valable (le service a peut-être été redémarré entre-temps). "
    "Pouvez-vous retaper votre réponse ?"
)

LOCATION = (
    "Merci ! Je ne peux pas encore trouver votre commune à partir d'une position. "
    "Pouvez-vous m'écrire le nom de la commune de votre activité ou son code postal ?"
)

# The answer to each kind of message the assistant cannot read (see handlers.NON_TEXT_KINDS).
NOT_TEXT = {
    "photo": "Je ne peux pas regarder les photos.",
    "voice": "Je ne peux pas écouter les messages vocaux.",
    "audio": "Je ne peux pas écouter les fichiers audio.",
    "video": "Je ne peux pas regarder les vidéos.",
    "video_note": "Je ne peux pas regarder les vidéos.",
    "animation": "Je ne peux pas regarder les images animées.",
    "sticker": "Merci pour l'autocollant ! Je ne sais pas encore les lire.",
    "document": "Je ne peux pas ouvrir les documents ni les fichiers.",
    "contact": "Je ne peux pas utiliser les fiches de contact.",
    "other": "Je ne peux pas lire ce type de message.",
}
WRITE_INSTEAD = " Pouvez-vous m'écrire votre question ou votre réponse en quelques mots ?"

EMPTY_BUTTONS_TEXT = "Faites votre choix :"

# The labels of an aid's card (bot/telegram/rendering.py), in Telegram HTML.
CARD = {
    "amount": "Montant :",
    "unknown_amount": "non précisé",
    "why": "Pourquoi :",
    "to_check": "À vérifier :",
    "nothing_to_check": "rien de particulier",
    "link": "Lien officiel :",
    "official_page": "Page officielle",
}
