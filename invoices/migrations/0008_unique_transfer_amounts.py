"""K3: the index that serves the choice of unique codes (kode unik).

Despite this migration's name, no constraint makes the amounts to transfer unique:
``invoices.services.UniqueCodes`` chooses each code, under ``lock_unique_codes`` (one
lock for all years), so that no two unpaid invoices ask for the same amount; only when
all 999 codes above a total are taken does an amount repeat. This index on the unpaid
invoices' amount to transfer makes that choice one lookup. (Named before it was
applied; an applied migration keeps its name.)"""

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoices', '0007_one_pending_confirmation_per_invoice'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalinvoice',
            name='unique_code',
            field=models.PositiveSmallIntegerField(help_text='Kode unik: added to the transfer so staff can match it to this invoice; chosen so that no other unpaid invoice asks for the same amount. The invoice is settled once the total is received; the code is not owed.', verbose_name='unique code'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='unique_code',
            field=models.PositiveSmallIntegerField(help_text='Kode unik: added to the transfer so staff can match it to this invoice; chosen so that no other unpaid invoice asks for the same amount. The invoice is settled once the total is received; the code is not owed.', verbose_name='unique code'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(models.ExpressionWrapper(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('total'), '-', models.F('amount_paid')), '+', models.F('unique_code')), output_field=models.DecimalField(decimal_places=2, max_digits=14)), condition=models.Q(('status', 'unpaid')), name='invoice_unpaid_transfer'),
        ),
    ]
